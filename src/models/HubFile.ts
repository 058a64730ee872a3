/** A file of a hub repo as the model-info API states it: its path in the repo, its size and (LFS files) SHA-256. */
export interface HubFile {
  path: string;
  size: number;
  /** The LFS object id: the SHA-256 of the content, hex. Absent for a file not stored in LFS. */
  sha256?: string;
}
