// Saving what the engine made (a report, a CSV, a chart's PNG) through the browser's own download: the
// renderer never touches files; Electron and Chromium show their save dialog or download folder.
export function downloadUrl(name: string, url: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export function downloadText(name: string, text: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  downloadUrl(name, url);
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
