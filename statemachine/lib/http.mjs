// The one HTTP helper the clients share.

/** GETs url and parses its JSON; throws on any status but 2xx. */
export async function getJSON(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${(await res.text()).trim()}`);
  return res.json();
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
