export async function transcodeBench() { throw new Error('todo'); }
