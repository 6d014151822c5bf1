import nx from "@nx/eslint-plugin";
import baseConfig from "../../eslint.config.mjs";

export default [
    ...nx.configs["flat/angular"],
    ...nx.configs["flat/angular-template"],
    ...baseConfig,
    {
        files: [
            "**/*.ts"
        ],
        rules: {
            "@angular-eslint/directive-selector": [
                "error",
                {
                    type: "attribute",
                    prefix: "wp",
                    style: "camelCase"
                }
            ],
            "@angular-eslint/component-selector": [
                "error",
                {
                    type: "element",
                    prefix: "wp",
                    style: "kebab-case"
                }
            ]
        }
    },
    {
        // Runs first in main.ts, in the initial bundle: it configures zod through globalThis and
        // must not load zod itself (types only).
        files: ["**/zod-config.ts"],
        rules: {
            "@typescript-eslint/no-restricted-imports": ["error", {
                patterns: [{ group: ["zod", "zod/*"], allowTypeImports: true, message: "zod-config.ts is in the initial bundle: import zod's types only." }]
            }]
        }
    },
    {
        files: [
            "**/*.html"
        ],
        // Override or add rules here
        rules: {}
    }
];
