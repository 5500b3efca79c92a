// Text helpers for progress lines and reports.

/** A name cut to max characters, with an ellipsis. */
export function shortName(name, max = 40) {
  return name.length > max ? `${name.slice(0, max - 1)}…` : name;
}

/** x rounded to d decimals, as a number. */
export const round = (x, d = 1) => +x.toFixed(d);
