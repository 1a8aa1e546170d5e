import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Library types and who may depend on whom (see docs/architecture.md):
//   contract   ← nothing
//   util       ← util
//   data-access← util, contract
//   domain     ← contract, util, data-access
//   feature    ← contract, util, data-access, domain
//   view       ← contract, util, data-access, domain   (derived presentations: Grafana dashboards)
//   config     ← contract, util, data-access, domain   (each app's environment contract: libs/app-config)
//   infra/tool ← contract, util, data-access, domain, config, view, tool
//   app        ← anything but another app
export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '**/imports/**', '.cache/**', 'dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Nx loads local plugins with require(): tools/nx is CommonJS.
    files: ['tools/nx/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          enforceBuildableLibDependency: false,
          depConstraints: [
            { sourceTag: 'type:contract', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:util', 'type:contract'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:util', 'type:contract', 'type:data-access'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:util', 'type:contract', 'type:data-access', 'type:domain'] },
            { sourceTag: 'type:view', onlyDependOnLibsWithTags: ['type:util', 'type:contract', 'type:data-access', 'type:domain'] },
            { sourceTag: 'type:config', onlyDependOnLibsWithTags: ['type:util', 'type:contract', 'type:data-access', 'type:domain'] },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:util', 'type:contract', 'type:data-access', 'type:domain', 'type:config', 'type:view', 'type:infra'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:util', 'type:contract', 'type:data-access', 'type:domain', 'type:config', 'type:feature', 'type:view', 'type:tool'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:util', 'type:contract', 'type:data-access', 'type:domain', 'type:config', 'type:feature'] },
          ],
        },
      ],
    },
  },
];
