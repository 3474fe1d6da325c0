/**
 * The body of an RFC 822 message: everything after the first empty line.
 * SpamAssassin's files start with an mbox "From " line and the headers; the
 * headers name mailing lists and spam filters, so a classifier that sees them
 * learns the mail servers rather than the text.
 */
export function emailBody(message: string): string {
  const m = /\r?\n\r?\n/.exec(message);
  return m ? message.slice(m.index + m[0].length) : '';
}
