// A patch that creates one file, as `git diff` writes it (tests review whole new files with it).
// `index`: with an index line (blob ids 0000000..1111111), as the reporters' tests want.
export function newFilePatch(path: string, text: string, opts: { index?: boolean } = {}): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const index = opts.index ? 'index 0000000..1111111\n' : '';
  return `diff --git a/${path} b/${path}\nnew file mode 100644\n${index}--- /dev/null\n+++ b/${path}\n@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join('\n')}\n`;
}
