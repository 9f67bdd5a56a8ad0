// Applies the stored or system theme before first paint; src/design/theme.ts owns the rule afterwards.
(function () {
  var stored = localStorage.getItem('cf-theme');
  var dark = stored === 'dark' || (stored !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.add(dark ? 'wa-dark' : 'wa-light');
  document.documentElement.style.colorScheme = dark ? 'dark' : 'light';
})();
