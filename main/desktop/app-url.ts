// The app:// protocol's one decision, apart from Electron so that a unit test can drive it: which file of the
// renderer build a request names. A malformed escape (decodeURIComponent throws on "%E0%A4%A") is a 400, not
// an exception in the protocol handler; a NUL is a 400; anything that resolves outside the build is a 403.
import path from 'node:path';

export type AppRequest = { file: string } | { status: 400 | 403 | 404 };

/** app://renderer/<path> → a file under `rendererDir`, or the status to answer. `paths`: for tests of Windows paths. */
export function appUrlToFile(url: string, rendererDir: string, paths: path.PlatformPath = path): AppRequest {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { status: 400 };
  }
  if (u.protocol !== 'app:' || u.host !== 'renderer') return { status: 404 };
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname === '/' ? '/index.html' : u.pathname);
  } catch {
    return { status: 400 };
  }
  if (rel.includes('\0')) return { status: 400 };
  const root = paths.resolve(rendererDir);
  const file = paths.resolve(root, '.' + rel);
  if (!file.startsWith(root + paths.sep)) return { status: 403 };
  return { file };
}
