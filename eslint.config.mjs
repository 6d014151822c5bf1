import nx from "@nx/eslint-plugin";

export default [
    ...nx.configs["flat/base"],
    ...nx.configs["flat/typescript"],
    ...nx.configs["flat/javascript"],
    {
        ignores: [
            "**/dist",
            "**/out-tsc"
        ]
    },
    {
        files: [
            "**/*.ts",
            "**/*.tsx",
            "**/*.js",
            "**/*.jsx"
        ],
        rules: {
            "@nx/enforce-module-boundaries": [
                "error",
                {
                    enforceBuildableLibDependency: true,
                    allow: [
                        "^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$"
                    ],
                    depConstraints: [
                        { sourceTag: "scope:shared", onlyDependOnLibsWithTags: ["scope:shared"] },
                        { sourceTag: "type:pure", onlyDependOnLibsWithTags: [] },
                        { sourceTag: "scope:api", onlyDependOnLibsWithTags: ["scope:shared"] },
                        { sourceTag: "scope:web", onlyDependOnLibsWithTags: ["scope:shared"] },
                        { sourceTag: "scope:e2e", onlyDependOnLibsWithTags: ["scope:shared"] }
                    ]
                }
            ]
        }
    },
    {
        files: [
            "**/*.ts",
            "**/*.tsx",
            "**/*.cts",
            "**/*.mts",
            "**/*.js",
            "**/*.jsx",
            "**/*.cjs",
            "**/*.mjs"
        ],
        // Override or add rules here
        rules: {}
    },
    {
        // Type-aware rules: each file is checked with the types of the tsconfig that includes it.
        files: ["**/*.ts", "**/*.cts", "**/*.mts"],
        languageOptions: {
            parserOptions: {
                projectService: true,
                tsconfigRootDir: import.meta.dirname
            }
        },
        rules: {
            // A promise nobody awaits hides its rejection (an unhandled rejection kills Node).
            "@typescript-eslint/no-floating-promises": "error",
            // An async function where a void callback is expected: its rejection goes nowhere.
            "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
            // A switch over a union handles every member (or says `default:` on purpose).
            "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false }],
            // Imports used only as types say so (they vanish from the output; Nest's decorator
            // metadata still counts constructor parameter types as values).
            "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
            // The web build (esbuild) cannot drop unused parts of zod behind its `z` export or its
            // default export: one such import puts all of zod, every locale, in the browser's
            // chunks (~440 kB instead of ~110 kB). `import * as z from 'zod'` is zod 4's own form.
            "no-restricted-syntax": ["error",
                {
                    selector: "ImportDeclaration[source.value='zod'][importKind='value'] > ImportSpecifier[imported.name='z'][importKind!='type']",
                    message: "Use `import * as z from 'zod'`: the named `z` import keeps all of zod in the web bundle."
                },
                {
                    selector: "ImportDeclaration[source.value='zod'] > ImportDefaultSpecifier",
                    message: "Use `import * as z from 'zod'`: the default import keeps all of zod in the web bundle."
                }
            ]
        }
    }
];
