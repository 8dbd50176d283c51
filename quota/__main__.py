from quota.cli import main

raise SystemExit(main())
