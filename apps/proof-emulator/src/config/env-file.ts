/**
 * Reads `.env` from the working directory into `process.env`, as @nestjs/config and dotenv do
 * for `npm start`: a variable already in the environment wins over the file (Node's
 * process.loadEnvFile never overwrites one). No file is no error; an unreadable one is.
 * The file adds to the environment only: the config loader then validates the whole once.
 */
export function loadEnvFile(path = '.env'): void {
  try {
    process.loadEnvFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
