import { createWriteStream, mkdirSync, WriteStream } from 'node:fs';
import { join } from 'node:path';

/**
 * Set by the test run (jest's global setup): every child process's output is also
 * appended to a file in `$LEAK_SCAN_DIR/output/`, and the leak scan searches those
 * files for every secret and token the run used. Unset (`npm run cluster`): nothing.
 */
export function outputCapture(name: string, pid: number | undefined): WriteStream | undefined {
  const dir = process.env.LEAK_SCAN_DIR;
  if (!dir || pid === undefined) return undefined;
  const outputDir = join(dir, 'output');
  mkdirSync(outputDir, { recursive: true });
  const file = `${name.replace(/[^\w.-]+/g, '_')}-${process.pid}-${pid}.log`;
  const stream = createWriteStream(join(outputDir, file), { flags: 'a' });
  stream.on('error', () => undefined);
  return stream;
}
