"""Story mode: a story and every source it cites, captured as one evidence chain with a report
(`create_story_package`, `plan_story`)."""
