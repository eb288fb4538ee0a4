// What people call each EventSub type ("New follower"), as the server says:
// `GET /api/event-types` reads each type's label from its home in `shared`,
// so neither the page nor the overlay keeps a copy. Wire names stay in
// tooltips and exports only.

let labels = new Map();
let types = [];

/** Reads the labels once; without them (an older server, a failed read) types show as they are. */
export async function loadLabels() {
  try {
    const response = await fetch('api/event-types');
    if (!response.ok) return;
    const body = await response.json();
    types = body.types;
    labels = new Map(types.map((t) => [t.type, t.label]));
  } catch (error) {
    console.warn(`no event labels: ${error}`);
  }
}

/** The label of `type`, or `null` when the server named none. */
export function labelOf(type) {
  return labels.get(type) ?? null;
}

/** Every type the server knows, in its order: `{type, label, tracked}`. */
export function knownTypes() {
  return types;
}
