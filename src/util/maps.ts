// Map helpers: the one "get or create" for a Map entry, so no caller assigns inside an expression.

/** The value at `key`, first storing `make()` there when the map has none. */
export function getOrInsert<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}
