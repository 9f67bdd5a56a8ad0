/** Success (and other) notices as Web Awesome toasts in the app's one toast stack. */
export function notify(message: string, variant: 'success' | 'danger' | 'neutral' = 'success'): void {
  const icon = variant === 'success' ? 'circle-check' : variant === 'danger' ? 'circle-alert' : 'circle-question';
  void document.querySelector('wa-toast')?.create(message, { variant, icon, duration: 5000 });
}
