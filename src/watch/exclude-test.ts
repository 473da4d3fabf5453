/** inotifywait's --exclude regex as a JavaScript test (the project's regexes are valid in both dialects). */
export function excludeRegexMatcher(excludeRegex: string | undefined): (path: string) => boolean {
  if (!excludeRegex) return () => false;
  try {
    const regex = new RegExp(excludeRegex);
    return (path) => regex.test(path);
  } catch {
    return () => false;
  }
}
