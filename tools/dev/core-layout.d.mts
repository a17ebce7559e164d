/** Types of core-layout.mjs, for the spec that runs it. */
export interface CoreSource {
  /** Relative to packages/core/src, "/"-separated. */
  path: string;
  imports: string[];
}
export declare const CORE_FOLDER_ORDER: readonly string[];
export declare function importSpecifiers(text: string): string[];
export declare function isTestFile(path: string): boolean;
export declare function readCoreSources(srcDir: string): CoreSource[];
export declare function coreLayoutProblems(files: readonly CoreSource[], order?: readonly string[]): string[];
export declare function coreShippingProblems(pkg: Record<string, unknown>, libTsconfig: Record<string, unknown>): string[];
