/**
 * The versions of the runtime's bundled libraries, as `process.versions` lists them.
 *
 * ```js
 * console.log(process.versions);
 * // {
 * //   node: '24.1.0',
 * //   v8: '13.6.233.10',
 * //   zlib: '1.3.1',
 * // }
 * ```
 */
export interface RuntimeVersions {
  readonly node: string;
  readonly v8: string;
  readonly zlib?: string;
  readonly [library: string]: string | undefined;
}
