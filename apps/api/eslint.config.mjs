import baseConfig from "../../eslint.config.mjs";

/**
 * The API's floors, lowest first. A folder may import from the folders it lists (and from
 * itself), never from anything above it: arrows run one way, and this rule keeps them so.
 * docs/architecture.md draws the same picture.
 */
const MAY_IMPORT = {
    // base
    config: [],
    common: ["config"],
    ops: ["common", "config"],
    // infrastructure
    redis: ["common", "config", "ops"],
    store: ["common", "config", "ops", "redis"],
    // the floor under the features
    limits: ["common", "config", "ops", "redis", "store"],
    realtime: ["common", "config", "ops"],
    // features, each only on those before it
    admin: ["common", "config", "ops", "redis", "store", "limits", "realtime"],
    media: ["common", "config", "ops", "redis", "store", "limits", "realtime", "admin"],
    session: ["common", "config", "ops", "redis", "store", "limits", "realtime", "admin", "media"],
    sync: ["common", "config", "ops", "redis", "store", "limits", "realtime", "admin", "media", "session"],
    live: ["common", "config", "ops", "redis", "store", "limits", "realtime", "admin", "media", "session"],
    health: ["common", "config", "ops", "redis", "store", "limits", "realtime", "admin", "media", "session"],
    docs: ["common", "config", "ops", "redis", "store", "limits", "realtime", "admin", "media", "session", "sync", "live", "health"],
};
const FOLDERS = Object.keys(MAY_IMPORT);

const layerRules = FOLDERS.map((folder) => {
    const forbidden = FOLDERS.filter((other) => other !== folder && !MAY_IMPORT[folder].includes(other));
    return {
        // Relative to wherever ESLint runs from: the workspace root (nx) or this folder.
        files: [`src/${folder}/**/*.ts`, `apps/api/src/${folder}/**/*.ts`],
        rules: {
            "no-restricted-imports": [
                "error",
                {
                    patterns: [
                        {
                            group: [...forbidden.map((f) => `../${f}/*`), "../app.module", "../bootstrap", "../main"],
                            message: `${folder}/ may import only from ${MAY_IMPORT[folder].join(", ") || "nothing else in src"} (apps/api/eslint.config.mjs; docs/architecture.md).`,
                        },
                    ],
                },
            ],
        },
    };
});

export default [
    ...baseConfig,
    ...layerRules,
];
