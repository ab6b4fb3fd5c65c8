from envpetition.cli import main

main()
