from archiver.cli import main

main()
