/**
 * Layers: data flows one way, cli -> control -> (share | index | transfer) -> host -> wire. A
 * lower layer importing a higher one is an error (a type shared across layers is declared by
 * the layer that needs it, narrow, and satisfied structurally by the one above). In a file of
 * its own so test/lint/layers.spec can check these rules on their own.
 */
export const layers = [
  {
    files: ['src/wire/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./', message: 'src/wire is the bottom layer: it imports nothing else of fsnode.' }] }]
    }
  },
  {
    files: ['src/host/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+(share|index|transfer|node|cli|control|api|ui)/', message: 'src/host sits below share, index and transfer: it may import wire, relay and util, not them.' }] }]
    }
  },
  {
    files: ['src/transfer/**/*.ts', 'src/index/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+(share|node|cli|control|api|ui)/', message: 'transfer and index sit below share, node and cli: declare the narrow interface needed here instead (see transfer/source.ts).' }] }]
    }
  }
]
