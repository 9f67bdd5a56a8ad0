/**
 * Every icon the UI shows, as Web Awesome icon name → Lucide icon (PascalCase export of `lucide`).
 * Web Awesome's own controls ask its `system` library for Font Awesome names (xmark, eye, chevron-…);
 * they are mapped here too, so one sprite of Lucide symbols serves both. The build turns this table into
 * `/icons.svg` (see build/icon-sprite.ts): same-origin, so the strict CSP (no `data:` fetches) holds.
 */
export const ICONS = {
  // Web Awesome's system icons (names from its dist/components/icon/library.system.js)
  check: 'Check',
  'chevron-down': 'ChevronDown',
  'chevron-left': 'ChevronLeft',
  'chevron-right': 'ChevronRight',
  'circle-xmark': 'CircleX',
  'circle-question': 'CircleHelp',
  clock: 'Clock',
  copy: 'Copy',
  ellipsis: 'Ellipsis',
  eye: 'Eye',
  'eye-slash': 'EyeOff',
  'grip-vertical': 'GripVertical',
  minus: 'Minus',
  pause: 'Pause',
  plus: 'Plus',
  star: 'Star',
  user: 'User',
  xmark: 'X',
  // The app's own
  menu: 'Menu',
  sun: 'Sun',
  moon: 'Moon',
  monitor: 'Monitor',
  languages: 'Languages',
  'log-out': 'LogOut',
  users: 'Users',
  smartphone: 'Smartphone',
  'qr-code': 'QrCode',
  'scroll-text': 'ScrollText',
  'chart-bar': 'ChartBar',
  'refresh-cw': 'RefreshCw',
  'circle-alert': 'CircleAlert',
  'circle-check': 'CircleCheck',
  'triangle-alert': 'TriangleAlert',
  inbox: 'Inbox',
  unplug: 'Unplug',
  pencil: 'Pencil',
  'arrow-left': 'ArrowLeft',
  'arrow-right': 'ArrowRight',
  'shield-check': 'ShieldCheck',
  // two-factor (passkeys)
  'key-round': 'KeyRound',
  'log-in': 'LogIn',
  'user-plus': 'UserPlus',
  // admin console
  'user-cog': 'UserCog',
  'user-check': 'UserCheck',
  search: 'Search',
  ban: 'Ban',
  // Issue 18's account pages (engineer accountweb).
  mail: 'Mail',
  'mail-check': 'MailCheck',
  'lock-keyhole': 'LockKeyhole',
  laptop: 'Laptop',
  // publishing (issue 17)
  megaphone: 'Megaphone',
  bot: 'Bot',
  send: 'Send',
  'trash-2': 'Trash2',
  image: 'Image',
  loader: 'Loader',
  bold: 'Bold',
  italic: 'Italic',
  code: 'Code',
  link: 'Link',
  'external-link': 'ExternalLink',
} as const;

export type IconName = keyof typeof ICONS;
