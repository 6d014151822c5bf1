/**
 * A random id for this browser's own use (device id, chat clientId): crypto.randomUUID where
 * the page has it; non-secure origins (plain http on a LAN address) do not, so a weaker one.
 */
export function randomId(crypto: Pick<Crypto, 'randomUUID'> | null | undefined): string {
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}-${Math.random().toString(36).slice(2, 12)}`;
}
