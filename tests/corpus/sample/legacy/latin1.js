// Latin-1 encoded: café, naïve. pgshift reads UTF-8 only and reports this file.
export const greeting = "olá";
