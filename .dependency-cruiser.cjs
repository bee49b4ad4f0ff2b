/** Layering rules from DESIGN.md, checked by `npm run lint` (and so by `npm test`). */
module.exports = {
  forbidden: [
    {
      name: 'hypervisor-is-innermost',
      comment: 'src/hypervisor imports nothing from monitor, introspect, gdbsx or clients.',
      severity: 'error',
      from: { path: '^src/hypervisor' },
      to: { path: '^(src/(monitor|introspect|gdbsx)|clients)' },
    },
    {
      name: 'hypervisor-no-transport-libs',
      comment: 'src/hypervisor knows nothing of NATS, RxJS or protobuf (nor the ts-proto output in src/generated).',
      severity: 'error',
      from: { path: '^src/hypervisor' },
      to: { path: '(node_modules/(nats|@nats-io|rxjs|protobufjs|@bufbuild|ts-proto)|^src/generated)' },
    },
    {
      name: 'introspect-never-hypervisor',
      comment: 'The SDK talks to a domain through a transport, never through hypervisor internals.',
      severity: 'error',
      from: { path: '^src/introspect' },
      to: { path: '^src/hypervisor' },
    },
    {
      name: 'gdbsx-only-introspect',
      comment: 'gdbsx is a client of introspect only.',
      severity: 'error',
      from: { path: '^src/gdbsx' },
      to: { path: '^src/(hypervisor|monitor)' },
    },
    {
      name: 'dashboard-page-is-browser-code',
      comment: 'The dashboard page (bundled for the browser) uses only its own files, the snapshot types it shares with the server, and npm packages.',
      severity: 'error',
      from: { path: '^clients/dashboard/web/', pathNot: 'vite\\.config\\.ts$' },
      to: { pathNot: '^(clients/dashboard/web/|clients/dashboard/snapshot\\.ts$|node_modules/)' },
    },
    {
      name: 'dashboard-snapshot-stands-alone',
      comment: 'snapshot.ts is shared with the browser bundle: it may import nothing.',
      severity: 'error',
      from: { path: '^clients/dashboard/snapshot\\.ts$' },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
