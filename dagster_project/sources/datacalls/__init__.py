"""The yearly data call (数据填报): templates written from the published warehouse (template.py),
issued templates read back as requests (requests.py), filled returns read and checked into
department_report observations (returns.py), and the loader assets (assets.py)."""
