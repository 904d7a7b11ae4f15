"""Our WARC 1.1 records: building them (`records`), writing them (`writer`), reading them
back fast for verification (`reader`)."""
