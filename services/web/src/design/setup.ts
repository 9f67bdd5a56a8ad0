// The design system: Web Awesome's theme, native-element styles and the components the UI uses,
// imported one by one (no autoloader, so the bundle holds only these). Icons come from one Lucide
// sprite on this origin (see icon-names.ts), which both the app and Web Awesome's own controls use.
import '@awesome.me/webawesome/dist/styles/themes/default.css';
import '@awesome.me/webawesome/dist/styles/native.css';
import '@awesome.me/webawesome/dist/styles/color/variants.css';
import '@awesome.me/webawesome/dist/components/badge/badge.js';
import '@awesome.me/webawesome/dist/components/button/button.js';
import '@awesome.me/webawesome/dist/components/callout/callout.js';
import '@awesome.me/webawesome/dist/components/dialog/dialog.js';
import '@awesome.me/webawesome/dist/components/drawer/drawer.js';
import '@awesome.me/webawesome/dist/components/icon/icon.js';
import '@awesome.me/webawesome/dist/components/skeleton/skeleton.js';
import '@awesome.me/webawesome/dist/components/spinner/spinner.js';
import '@awesome.me/webawesome/dist/components/toast/toast.js';
import '@awesome.me/webawesome/dist/components/toast-item/toast-item.js';
import { registerIconLibrary } from '@awesome.me/webawesome/dist/components/icon/library.js';

const sprite = {
  resolver: (name: string) => `/icons.svg#${name}`,
  spriteSheet: true,
  // Web Awesome's sprite <svg> has no viewBox: without one it is 300 px wide and overflows its host.
  mutator: (svg: SVGElement) => svg.setAttribute('viewBox', '0 0 24 24'),
};
registerIconLibrary('default', sprite);
registerIconLibrary('system', sprite);
