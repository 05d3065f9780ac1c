// A picture held in the browser: objects keyed "incident/id", as a snapshot and changes leave them.

export function keyOf(object) {
  return `${object.incident}/${object.id}`;
}

export class Picture {
  constructor(objects = [], seq = 0) {
    this.objects = new Map();
    this.seq = seq;
    this.apply(objects, seq);
  }

  apply(objects, seq) {
    for (const object of objects) {
      if (object.removed) this.objects.delete(keyOf(object));
      else this.objects.set(keyOf(object), object);
    }
    this.seq = seq;
  }

  get(key) {
    return this.objects.get(key);
  }

  of(incidents) {
    return [...this.objects.values()].filter((object) => incidents.has(object.incident));
  }
}
