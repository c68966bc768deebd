// Logs Insights query timeouts, apart from the query code so the CLI shows them in --help without loading it.
/**
 * The default bound on one query, in seconds. Insights ends a query itself after 60 minutes of
 * runtime (StartQuery, CloudWatch Logs API Reference), so a longer wait is never useful: that is the
 * option's maximum. The default is what an operator waits for at a terminal; a query over a
 * stack's own DNS and egress proxy logs that needs longer is over too long a window (--since).
 */
export const QUERY_TIMEOUT_DEFAULT_SECONDS = 300;
export const QUERY_TIMEOUT_MAX_SECONDS = 3600;
