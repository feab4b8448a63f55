// Lint config. Beyond style, it enforces the layering of the design doc: shared imports nothing
// outside itself, the renderer never reaches main/electron/Node, worker code never imports electron.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'
import globals from 'globals'

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net', 'url', 'util', 'events', 'stream']

export default tseslint.config(
  { ignores: ['out/**', 'native/build/**', '*-tmp.mts', 'node_modules/**', 'dist/**', 'test-artifacts/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module' } }
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/html-indent': 'off',
      'vue/attributes-order': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }]
    }
  },
  {
    files: ['src/renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/main/**', '**/preload/**'], message: 'The renderer talks to main only through the API client (src/shared contract).' },
          { group: ['electron', 'electron/*'], message: 'The renderer never imports electron.' },
          { group: nodeBuiltins, message: 'The renderer never imports Node modules.' }
        ]
      }]
    }
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/main/**', '**/renderer/**', '**/preload/**'], message: 'src/shared imports nothing outside itself.' },
          { group: ['electron', ...nodeBuiltins], message: 'src/shared is free of Node, DOM and Electron APIs.' }
        ]
      }]
    }
  },
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/electron/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/renderer/**'], message: 'main never imports the renderer.' },
          { group: ['electron', 'electron/*'], message: 'Only src/main/electron may import electron (workers and services run without it).' }
        ]
      }]
    }
  },
  {
    files: ['src/renderer/src/editor/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['vue', 'pinia', 'konva', '**/canvas/**', '**/components/**'], message: 'The editor core is framework-free (design doc, Mask editor).' },
          { group: ['**/main/**', 'electron', ...nodeBuiltins], message: 'The renderer never imports main, electron or Node.' }
        ]
      }]
    }
  },
  {
    files: ['tests/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.{js,mjs}'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' }
  }
)
