import { isApiRequestError } from '../../services/http';

/** Why joining a show's chat failed, in words; a ban or a lock (403) will not pass by retrying. */
export function chatJoinError(error: unknown): string {
  if (!isApiRequestError(error)) return "Couldn't join the chat. Try again.";
  if (error.isNetworkError) return 'Server unreachable. Check your connection and try again.';
  switch (error.statusCode) {
    case 409:
      return 'The chat is full.';
    case 403:
      return `Can't join the chat: ${error.message}.`;
    case 429:
      return 'Too many attempts, wait a minute.';
    default:
      return "Couldn't join the chat. Try again.";
  }
}
