// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // src/generated is ts-proto output (npm run proto), checked in but never edited by hand.
  { ignores: ['dist/**', 'docs/api/**', 'node_modules/**', 'guests/build/**', '.dependency-cruiser.cjs', 'src/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Exported APIs must stay typed; `any` in internals needs a reason in a comment.
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // The hypervisor is the innermost layer: it must not know transports or clients.
    files: ['src/hypervisor/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/monitor/**', '**/introspect/**', '**/gdbsx/**', '**/clients/**'], message: 'src/hypervisor may not import outer layers (see DESIGN.md).' },
          { group: ['nats', '@nats-io/*', 'rxjs', 'rxjs/*', 'protobufjs', 'protobufjs/*', '@bufbuild/*', '**/generated/**'], message: 'src/hypervisor knows nothing of NATS, RxJS or protobuf.' },
        ],
      }],
    },
  },
);
