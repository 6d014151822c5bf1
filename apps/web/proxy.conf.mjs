// `nx serve web` (port 4200) forwards the API's paths to a running API, WebSockets included,
// so the dev server's app talks to a real server exactly as the built one does.
// WP_API_URL picks the API (default: `nx serve api` / `npm start` on port 3000).
const target = process.env.WP_API_URL ?? 'http://localhost:3000';

export default {
  '/api': { target, changeOrigin: true },
  '/socket.io': { target, changeOrigin: true, ws: true },
};
