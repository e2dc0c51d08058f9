"""Print the media bucket's listing as tab-separated lines: key, size, ETag, last modified.

Run by `make backup` with FILE_STORAGE=s3 (the AWS_* variables of .env.example). The objects
themselves stay in the bucket, whose provider keeps versions or a replica (README, "Backups");
the listing says what the database's file fields pointed to on the day of the dump.
"""

import os
import sys

import boto3


def main() -> None:
    client = boto3.client(
        "s3",
        endpoint_url=os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        region_name=os.environ.get("AWS_S3_REGION_NAME") or None,
    )
    bucket = os.environ["AWS_STORAGE_BUCKET_NAME"]
    out = sys.stdout
    out.write("key\tsize\tetag\tlast_modified\n")
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            etag = entry["ETag"].strip('"')
            modified = entry["LastModified"].isoformat()
            out.write(f"{entry['Key']}\t{entry['Size']}\t{etag}\t{modified}\n")


if __name__ == "__main__":
    main()
