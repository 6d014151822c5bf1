import { launchChromium as launch } from '../../apps/web-e2e/src/chromium-launcher.cjs';

/** The launcher the browser tests use too, allowed to autoplay: what every bench page needs. */
export function launchChromium() {
  return launch(['--autoplay-policy=no-user-gesture-required']);
}
