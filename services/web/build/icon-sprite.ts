import { icons } from 'lucide';
import type { Plugin } from 'vite';
import { ICONS } from '../src/design/icon-names.ts';

type IconNode = [tag: string, attributes: Record<string, string | number>][];

const escape = (value: string | number): string =>
  String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** One `<symbol>` per entry of ICONS, drawn as Lucide draws it (24×24, 2 px round strokes). */
export function iconSprite(): string {
  const lucide = icons as unknown as Record<string, IconNode>;
  const symbols = Object.entries(ICONS).map(([name, lucideName]) => {
    const node = lucide[lucideName];
    if (node === undefined) throw new Error(`lucide has no icon ${lucideName} (for ${name})`);
    const body = node
      .map(
        ([tag, attributes]) =>
          `<${tag} ${Object.entries(attributes)
            .map(([key, value]) => `${key}="${escape(value)}"`)
            .join(' ')}/>`,
      )
      .join('');
    return `<symbol id="${name}" viewBox="0 0 24 24"><g fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${body}</g></symbol>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg">${symbols.join('')}</svg>`;
}

/** Emits `/icons.svg` in the build and serves it in `vite dev`. */
export function iconSpritePlugin(): Plugin {
  return {
    name: 'cf-icon-sprite',
    configureServer(server) {
      server.middlewares.use('/icons.svg', (_request, response) => {
        response.setHeader('content-type', 'image/svg+xml');
        response.end(iconSprite());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'icons.svg', source: iconSprite() });
    },
  };
}
