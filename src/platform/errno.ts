/** True when `err` is a file system error saying the path does not exist. */
export function isEnoent(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}
