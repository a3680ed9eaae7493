import { PACKAGE_VERSION } from './paths.ts';

/** The package version, read once. */
export const VERSION: string = PACKAGE_VERSION;
