// A tiny static x86_64 program, assembled here so the Docker suite needs no 32-bit toolchain:
// socketcall(2) through the 32-bit system call entry, the path 32-bit x86 code takes to open a
// socket, whose family argument seccomp cannot see.

/** Its exit status when mmap found no memory below 4 GiB (no errno is that high). */
export const MMAP_FAILED = 200;

/**
 * A static x86_64 program that calls socketcall(SYS_SOCKET, [family, type, 0]) through int 0x80,
 * the 32-bit system call entry 32-bit x86 code uses (its arguments in memory below 4 GiB, from
 * mmap MAP_32BIT), and exits with the errno (0 when it got a socket). A kernel without 32-bit
 * syscalls kills it with SIGSEGV instead.
 */
export function socketcallProgram(family: number, type: number): Buffer {
  const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  const exit = [0xb8, ...u32(60), 0x0f, 0x05]; // exit(%edi)
  const call = [
    0x48, 0x89, 0xc3, // mov %rax,%rbx
    0xc7, 0x03, ...u32(family), 0xc7, 0x43, 0x04, ...u32(type), 0xc7, 0x43, 0x08, ...u32(0), // args = {family, type, 0}
    0x89, 0xd9, 0xbb, ...u32(1), 0xb8, ...u32(102), 0xcd, 0x80, // socketcall(SYS_SOCKET, args) via int $0x80
    0x85, 0xc0, 0x78, 0x04, 0x31, 0xff, 0xeb, 0x04, 0xf7, 0xd8, 0x89, 0xc7, // status = result < 0 ? -result : 0
    ...exit,
  ];
  const code = Buffer.from([
    0xb8, ...u32(9), 0x31, 0xff, 0xbe, ...u32(0x1000), 0xba, ...u32(3), // mmap(0, 4096, PROT_READ|PROT_WRITE,
    0x41, 0xba, ...u32(0x62), 0x49, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, 0x45, 0x31, 0xc9, 0x0f, 0x05, //   PRIVATE|ANONYMOUS|32BIT, -1, 0)
    0x48, 0x85, 0xc0, 0x78, call.length, // no memory below 4 GiB: exit(MMAP_FAILED) below
    ...call,
    0xbf, ...u32(MMAP_FAILED), ...exit,
  ]);
  const base = 0x400000;
  const headers = 64 + 56;
  const elf = Buffer.alloc(64);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]); // ELF, 64-bit, little-endian, version 1, System V
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(62, 18); // EM_X86_64
  elf.writeUInt32LE(1, 20);
  elf.writeBigUInt64LE(BigInt(base + headers), 24); // entry
  elf.writeBigUInt64LE(BigInt(64), 32); // program headers right after this one
  elf.writeUInt16LE(64, 52);
  elf.writeUInt16LE(56, 54);
  elf.writeUInt16LE(1, 56);
  const ph = Buffer.alloc(56);
  ph.writeUInt32LE(1, 0); // PT_LOAD
  ph.writeUInt32LE(5, 4); // R+X
  ph.writeBigUInt64LE(BigInt(base), 16);
  ph.writeBigUInt64LE(BigInt(base), 24);
  ph.writeBigUInt64LE(BigInt(headers + code.length), 32);
  ph.writeBigUInt64LE(BigInt(headers + code.length), 40);
  ph.writeBigUInt64LE(BigInt(0x1000), 48);
  return Buffer.concat([elf, ph, code]);
}
