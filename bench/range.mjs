export async function rangeBench() { throw new Error('todo'); }
