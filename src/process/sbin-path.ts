/** csync2 lives in /usr/sbin, which is not on a normal user's PATH on Debian: add the sbin dirs at the end. */
export function addSbinToPath(env: NodeJS.ProcessEnv = process.env): void {
  const dirs = (env.PATH ?? '').split(':').filter((dir) => dir !== '');
  const extra = ['/usr/local/sbin', '/usr/sbin', '/sbin'].filter((dir) => !dirs.includes(dir));
  if (extra.length > 0) env.PATH = [...dirs, ...extra].join(':');
}
