/**
 * The words of a `search` query, as both sides read them: pieces between whitespace that hold at least
 * one letter or digit. Punctuation inside a word stays (the server's tokenizer reads `don't` and `x-ray`
 * as it reads them in messages); a piece of punctuation alone (`*`, `-`, `"`) is no word.
 */
import { SEARCH_QUERY_MAX, SEARCH_WORDS_MAX } from './limits.js';
import { lineProblem } from './validate.js';

// Letters, digits and private-use characters: what SQLite's unicode61 tokenizer keeps in a token.
const WORD_CHAR = /[\p{L}\p{N}\p{Co}]/u;

export function searchWords(query: string): string[] {
  return query.split(/\s+/u).filter((piece) => WORD_CHAR.test(piece));
}

/** Why `query` cannot be searched for, or null when it can. */
export function searchQueryProblem(query: string): string | null {
  const problem = lineProblem('query', query, SEARCH_QUERY_MAX);
  if (problem) return problem;
  const words = searchWords(query).length;
  if (words === 0) return 'query must hold at least one word (letters or digits)';
  if (words > SEARCH_WORDS_MAX) return `query holds ${words} words; at most ${SEARCH_WORDS_MAX} are searched for at once`;
  return null;
}
