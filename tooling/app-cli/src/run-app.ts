import { type AppArgs, type ArgDefaults, parseAppArgs, usage } from './args';
import { useBackend } from './backend';

/**
 * The life of every training app: parse the flags (or print --help), open the
 * backend, run, free the backend (Dawn keeps the process alive while a device
 * exists), and turn any error into one line on stderr and exit code 1.
 */
export function runApp(
  name: string,
  defaults: ArgDefaults,
  run: (args: AppArgs, backendDescription: string) => Promise<void>,
): void {
  const main = async (): Promise<void> => {
    const args = parseAppArgs(process.argv.slice(2), defaults);
    if (args.help) return console.log(usage(`node apps/${name}/dist/main.js`, defaults));
    const { description, close } = await useBackend(args.backend);
    try {
      await run(args, description);
    } finally {
      close();
    }
  };
  main().catch((e: unknown) => {
    console.error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
