// Patchwork check reporter (the channel netdev's CI uses): find the patch by Message-ID and post
// a check with context `modreview`. Silent on the list. Uses the global fetch (Node 20).
export interface PatchworkConfig {
  url: string;
  token: string;
  target_url?: string;
}

export type CheckState = 'pending' | 'success' | 'warning' | 'fail';

function apiBase(url: string): string {
  return `${url.replace(/(?<!\/)\/+$/, '').replace(/\/api(\/[\d.]+)?$/, '')}/api`;
}

export async function findPatchId(cfg: PatchworkConfig, msgid: string): Promise<number | undefined> {
  const res = await fetch(`${apiBase(cfg.url)}/patches/?msgid=${encodeURIComponent(msgid.replace(/^<|>$/g, ''))}`, {
    headers: { Accept: 'application/json' },
  });
  if (!res.ok) throw new Error(`patchwork: GET patches?msgid → HTTP ${res.status}`);
  const list = (await res.json()) as { id: number; msgid?: string }[];
  return Array.isArray(list) && list[0] ? list[0].id : undefined;
}

export async function postCheck(
  cfg: PatchworkConfig,
  msgid: string,
  check: { state: CheckState; description: string; target_url?: string },
): Promise<{ patchId: number } | undefined> {
  const id = await findPatchId(cfg, msgid);
  if (id === undefined) return undefined;
  const body: Record<string, string> = { state: check.state, context: 'modreview', description: check.description.slice(0, 255) };
  const target = check.target_url ?? cfg.target_url;
  if (target) body.target_url = target;
  const res = await fetch(`${apiBase(cfg.url)}/patches/${id}/checks/`, {
    method: 'POST',
    headers: { Authorization: `Token ${cfg.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201 && !res.ok) throw new Error(`patchwork: POST checks → HTTP ${res.status}`);
  return { patchId: id };
}
