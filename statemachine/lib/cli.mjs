// What the command-line tools share.

/**
 * Runs a tool's main(argv) and exits with its code. An error exits 2,
 * after printing it on stderr and, as the last line of stdout, as a failed
 * result {status, error: errorName, cause}.
 */
export function runMain(tool, errorName, main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`${tool}: ${err.message}`);
      process.stdout.write(`${JSON.stringify({ status: 'FAILED', error: errorName, cause: err.message })}\n`);
      process.exitCode = 2;
    },
  );
}
