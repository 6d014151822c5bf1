export async function browserBench() { throw new Error('todo'); }
