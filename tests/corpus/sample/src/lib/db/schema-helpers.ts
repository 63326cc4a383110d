/**
 * Column helpers shared by the exporters.
 */
export const Flag = {
  /**
   * Schema for sqlite booleans that are represented as `0 | 1` in database
   * exports and `boolean` in JSON exports.
   */
  fromInt: (value: 0 | 1): boolean => value === 1,
  toInt: (value: boolean): 0 | 1 => (value ? 1 : 0),
};

export interface ExportDriverOptions {
  /**
   * For SQLite, the database may be given as a path to a database file.
   */
  database?: string;
  /**
   * Maximum identifier length. No documentation specifying one could be found
   * for SQLite.
   */
  maxAliasLength?: number;
}

/**
 * Versions of the bundled native libraries:
 *
 * ```js
 * {
 *   sqlite: '3.51.2',
 *   zlib: '1.3.1',
 * }
 * ```
 */
export declare const nativeVersions: Readonly<Record<string, string>>;
