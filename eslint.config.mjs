// Flat config: the recommended TypeScript rules, without type information so lint stays fast.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "policy/node_modules/**", "reports/**", ".tmp/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
      "no-restricted-properties": ["error",
        { object: "describe", property: "only", message: "focused tests hide the rest of the suite" },
        { object: "it", property: "only", message: "focused tests hide the rest of the suite" }],
    },
  },
);
