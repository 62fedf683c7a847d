// npm itself may run on the machine's older Node; every script must run on the pinned Node 24.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `portrait-gateway needs Node 24, but this script runs on Node ${process.versions.node}.\n` +
      'Run it through npm (npm run / npm test / npx), after a plain `npm ci` (not --ignore-scripts); ' +
      'if node_modules/.bin/node is missing, `npm rebuild node` restores it.',
  );
  process.exit(1);
}
